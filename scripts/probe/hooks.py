"""Schemathesis hooks for the desk: how to send a raw mail (message/rfc822) to the intake
endpoint, a media type Schemathesis has no serializer for of its own."""

import schemathesis


@schemathesis.serializer("message/rfc822")
def rfc822(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return {"data": bytes(value)}
    return {"data": str(value).encode("utf-8", "surrogatepass")}
