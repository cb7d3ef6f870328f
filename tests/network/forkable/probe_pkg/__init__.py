"""The probe app as a package: `python -m probe_pkg` runs its `__main__`, not this."""
