"""Patrons' reviews and ratings of films.

``reviews`` writes them (who may review, one per patron per film, the author's edits, the
admins' moderation); ``ratings`` reads them (a film's average and distribution, its page of
reviews, the averages on film cards and the Bayesian score the film list sorts by).
"""
