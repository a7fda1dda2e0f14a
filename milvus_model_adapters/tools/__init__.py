"""Tools over the core: the command line, indexing files, evaluation, transfer between databases, a local server."""
