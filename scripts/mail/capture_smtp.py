"""An SMTP server for the mail tests (aiosmtpd): it keeps every mail it accepts.

Each accepted mail is written to DIR as N.eml (the bytes received) and N.json (the envelope),
atomically, so a test that sees N.eml sees all of it. While the file DIR/stall exists, the
server holds every mail before accepting it (the client waits for its answer to DATA); a client
that goes away meanwhile has sent nothing, as with a real server that had not yet queued it.
While DIR/refuse holds a reply such as "451 4.3.0 try later", every mail gets that reply.

With a third argument USER:PASSWORD the server requires that login (AUTH PLAIN or LOGIN, over
plain text: loopback only) before it takes any mail.

Usage: python capture_smtp.py PORT DIR [USER:PASSWORD]
"""

import asyncio
import itertools
import json
import logging
import os
import sys
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Capture:
    def __init__(self, directory):
        self.directory = directory
        existing = [int(n.split(".")[0]) for n in os.listdir(directory) if n.endswith(".eml")]
        self.numbers = itertools.count(max(existing, default=0) + 1)

    async def handle_DATA(self, server, session, envelope):
        holding = os.path.join(self.directory, "holding")
        while os.path.exists(os.path.join(self.directory, "stall")):
            open(holding, "w").close()
            await asyncio.sleep(0.05)
        if os.path.exists(holding):
            os.remove(holding)
        # A client that went away before hearing our answer did not hand the mail over: a
        # server takes responsibility for a mail only when it says 250 (RFC 5321 4.1.1.4).
        if server.transport is None or server.transport.is_closing():
            return "421 4.4.2 the client went away"
        refuse = os.path.join(self.directory, "refuse")
        if os.path.exists(refuse):
            with open(refuse) as f:
                return f.read().strip()
        n = next(self.numbers)
        base = os.path.join(self.directory, str(n))
        with open(base + ".json.tmp", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        os.rename(base + ".json.tmp", base + ".json")
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted"


def authenticator_for(login):
    user, password = login.split(":", 1)

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return authenticate


def main():
    port, directory = int(sys.argv[1]), sys.argv[2]
    os.makedirs(directory, exist_ok=True)
    options = {}
    if len(sys.argv) > 3:
        # Plain-text AUTH is what this loopback test server is for; aiosmtpd warns about it.
        warnings.simplefilter("ignore")
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        options = {
            "authenticator": authenticator_for(sys.argv[3]),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(
        Capture(directory), hostname="127.0.0.1", port=port, server_kwargs=options
    )
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
