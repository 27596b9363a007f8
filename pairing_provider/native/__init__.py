"""The native Pulumi provider face: the package ``illumio``, served over the engine's gRPC
ResourceProvider protocol by its own server (``python -m pairing_provider.native``, or the
plugin directory ``provider/`` as the Python language host runs it).

It wraps the dynamic providers' operations (``profile.py``, ``key.py``, ``label.py``,
``lookups.py``) and derives its schema from the one declaration (``models/``); nothing here
re-states a field.
"""

PACKAGE = "illumio"
