# The kernel users install: our series as Debian's kernel maintainers take it
# (the drop-in for the `linux` source package) and Debian's own ppc64el
# config (docs/packaging.md).

.PHONY: debian-kernel-drop-in debian-drop-in-check kernel-debian-config debian-abi-report

## debian-kernel-drop-in  what a Debian kernel maintainer adds to the linux source package -> build/debian-kernel-drop-in/
debian-kernel-drop-in:
	ci/debian-kernel.sh drop-in

## debian-drop-in-check   the drop-in on Debian's linux source package: quilt --fuzz=0, config generation -> build/results/debian-drop-in.tsv
# Fetches the source package by exact version (ci/versions.sh), unpacks it
# (1.3 GB, removed again on success) and pushes Debian's whole queue plus
# ours; tests/debian reads the results.
debian-drop-in-check:
	nice -n 10 ci/debian-kernel.sh check

## kernel-debian-config   Debian's powerpc64le /boot/config + our symbols, and the reduced CI config -> build/configs/debian*.config
# Configs only (olddefconfig in the tree of `make sources`); nothing is built.
# The reduction rule is ci/configs/debian-reduce.py, what it drops
# ci/configs/debian-dropped.list (kept in the repository).
kernel-debian-config:
	nice -n 10 ci/debian-kernel.sh config

CHECK_PREP += debian-drop-in-check
PYTEST_DIRS += tests/debian

## debian-abi-report      which exported symbols' CRCs the series changes under Debian's config -> build/abi/abi-changes.txt
# make prepare of both trees and genksyms over every arch/powerpc and
# virt/kvm file that exports symbols (no object is compiled; ~10 min on 2
# busy cores).  Not part of make check: docs/packaging.md records the result.
debian-abi-report:
	nice -n 10 ci/debian-kernel.sh abi
