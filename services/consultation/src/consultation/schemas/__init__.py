"""HTTP shapes of the consultation API, one module per area: what a route parses and answers,
and the typed commands its handlers take."""
