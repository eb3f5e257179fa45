"""guanwu console (管理台): the Chinese web console of the seed's screens, server-rendered over the services'
public HTTP APIs."""
