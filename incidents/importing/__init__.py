"""Moving in from other on-call tools, and Keel's own configuration as code.

Every importer turns the source's account into a *configuration document* (the shape
`export_config` writes and `apply_config` reads, see `document.py`), with each object's
source id in `source`. One engine then plans and applies a document, so an import and an
`apply_config` change Keel the same way.
"""
