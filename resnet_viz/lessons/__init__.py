"""Every sentence the app tells a student, computed from data: one module per page topic."""
