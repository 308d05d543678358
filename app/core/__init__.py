"""The framing library: segmentation, language routing, features, the model and its
artifact, classification and evidence. No web framework: the API, the batch engines, the
command line and training all stand on it."""
