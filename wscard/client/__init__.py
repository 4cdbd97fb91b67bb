"""The WorkSpaces client application: version numbers, detection on a machine, and the
CLIENT-1..CLIENT-4 checks."""
