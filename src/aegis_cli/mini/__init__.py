"""aegis-mini: the small model shipped with aegis, and the generator of the data it learns from."""
