"""How the declaration service is reached: its HTTP API (`api`) and the events it consumes (`consumers`)."""
