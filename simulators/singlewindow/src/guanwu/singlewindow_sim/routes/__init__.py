"""The simulator's HTTP routes, one module per concern; `guanwu.singlewindow_sim.app.build_router` mounts them."""
