from chiso.cli.main import app

app(prog_name="chiso")
