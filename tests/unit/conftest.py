"""Make ``ansible_collections.mesos.overlay`` importable from the repo, and the
shared test helpers (``netns_helpers``, ``config_samples``) from every test
directory."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "mesos", "overlay")

if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
for path in (COLLECTIONS, HERE):
    if path not in sys.path:
        sys.path.insert(0, path)
