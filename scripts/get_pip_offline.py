"""Stand-in for pip's get-pip.py, for ansible-test on a machine that cannot
reach its download site: pip comes from the standard library's ensurepip."""
import ensurepip
import sys

sys.exit(ensurepip._main(["--upgrade", "--default-pip"]))
