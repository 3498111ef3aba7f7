from cinema import create_app

app = create_app()
