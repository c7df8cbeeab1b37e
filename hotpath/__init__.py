"""Hot-path plumbing shared by the agent, the simulators and the load generator (none of which may import another).

`client`: the pooled keep-alive HTTP/1.1 client; `protocol`: the one-write uvicorn protocol; `heap`: the GC setting
of every long-running process.
"""
