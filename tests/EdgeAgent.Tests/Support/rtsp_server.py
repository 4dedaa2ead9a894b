# A real RTSP server for the capture tests (GStreamer's gst-rtsp-server through PyGObject):
# serves a live 320x240 MJPEG test pattern at rtsp://127.0.0.1:PORT/live and prints "ready".
# Needs python3-gi and gir1.2-gst-rtsp-server-1.0 (scripts/setup installs them).
import sys, gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer, GLib
Gst.init(None)
port = sys.argv[1]
server = GstRtspServer.RTSPServer(); server.set_address('127.0.0.1'); server.set_service(port)
f = GstRtspServer.RTSPMediaFactory()
f.set_launch('( videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! jpegenc ! rtpjpegpay name=pay0 pt=26 )')
f.set_shared(True)
server.get_mount_points().add_factory('/live', f)
server.attach(None)
print('ready', flush=True)
GLib.MainLoop().run()
