"""Decision support on the one runner: multi-objective optimisation of levers and scenario discovery (PRIM)."""
