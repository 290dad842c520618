from .app import serve

serve()
