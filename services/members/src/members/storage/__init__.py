"""storage of the members service, one module per area."""


def savepoint(conn):
    """A transaction inside the open one: what fails in it is undone alone (one row of an import),
    and the rest goes on."""
    return conn.transaction()
