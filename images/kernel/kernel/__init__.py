"""pid0: the default Wetware kernel, a Python guest built with the SDK."""
