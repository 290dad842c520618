"""members — 委员联系界别群众的“人和地”: who is who and where, for the whole platform."""
