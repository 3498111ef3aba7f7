"""The patron's wishlist: saved films (``wishlist``) and the daily email about their newly
scheduled showtimes (``digest``), with an unsubscribe link that needs no sign-in."""
