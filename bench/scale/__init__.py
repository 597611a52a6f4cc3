"""Scale benchmark: the band index alone (synthetic signatures) and the whole pipeline, per backend."""
