"""Films, posters, genres, search and the public programme queries.
"""
