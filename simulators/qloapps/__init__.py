"""QloApps webservice simulator: protocol layer, inventory state model, control plane."""
