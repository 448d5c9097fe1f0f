"""Videoatención media node: WebRTC rooms, pass-through forwarding and recording of video appointments."""
