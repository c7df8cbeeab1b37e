"""`python -m agent [worker|migrate]`: the same as `hotelero agent`."""

from agent.cli import app

app(prog_name="hotelero agent")
