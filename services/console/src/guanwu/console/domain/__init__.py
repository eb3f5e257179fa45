"""The console's pure parts: the seed's menu and roles, its list screens, Chinese formats."""
