"""Consumer groups: the group coordinator and the committed offsets it keeps."""
