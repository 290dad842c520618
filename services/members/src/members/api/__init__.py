"""HTTP routes of the members service, one module per area."""

from liaison_shared.auth import Role, require_roles

# Who may change the registry, and who may read its reports.
managers = require_roles(Role.STAFF, Role.ADMIN)
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)
