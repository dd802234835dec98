"""pytest setup for all suites: make tests/ (nv2test, the shared helpers) and
ci/ (harness) importable from every test directory.

Test files import helpers with `from nv2test import ...`, never from
`conftest`: conftest.py files of different directories share that module
name, so `from conftest import` gets whichever was loaded last.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
for p in (HERE, os.path.join(os.path.dirname(HERE), "ci")):
    if p not in sys.path:
        sys.path.insert(0, p)
