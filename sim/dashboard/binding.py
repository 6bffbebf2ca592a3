"""Where the dashboard listens: is an address this computer only, or reachable from the network?

``salesim dashboard --host H`` accepts an IP address (v4 or v6), a name, or an empty string.
:func:`classify` decides, once, whether that address is loopback (only this computer can
connect) and whether it means every interface; :func:`warning` turns a non-loopback decision
into the sentence the command prints. Only loopback binds are quiet: ``0.0.0.0``, ``0``,
``::``, ``::0``, a LAN address and a name that resolves to one all warn.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    """What a ``--host`` value means.

    Attributes:
        host: the value as typed.
        loopback: only this computer can connect (127.0.0.0/8, ::1, ``localhost``).
        every_interface: the unspecified address (``0.0.0.0``, ``0``, ``::``, ``::0``, empty).
        url_host: the host to put in a URL this computer can open (``[v6]`` bracketed).
    """

    host: str
    loopback: bool
    every_interface: bool
    url_host: str


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``text`` spells (``0`` and a bracketed v6 included), or None for a name."""
    text = text.strip().strip("[]")
    if text == "0":
        return ipaddress.IPv4Address("0.0.0.0")
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop a v6 zone (fe80::1%eth0)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _resolve(name: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address a name resolves to (empty when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    found = [_address(str(info[4][0])) for info in infos]
    return [a for a in found if a is not None]


def classify(host: str) -> Binding:
    """Decide what binding to ``host`` exposes.

    Args:
        host: a ``--host`` value: an IP address, a name, or ``""`` (every interface).

    Returns:
        A :class:`Binding`. A name is loopback only if every address it resolves to is; a name
        that does not resolve is treated as reachable from the network (the bind fails later).

    Example:
        >>> classify("::0").every_interface, classify("127.0.0.1").loopback
        (True, True)
    """
    if host.strip() == "":
        return Binding(host, loopback=False, every_interface=True, url_host="127.0.0.1")
    address = _address(host)
    if address is not None:
        if address.is_unspecified:
            return Binding(host, loopback=False, every_interface=True, url_host="127.0.0.1")
        shown = f"[{address}]" if address.version == 6 else str(address)
        return Binding(host, loopback=address.is_loopback, every_interface=False, url_host=shown)
    resolved = _resolve(host)
    loopback = bool(resolved) and all(a.is_loopback for a in resolved)
    every = bool(resolved) and all(a.is_unspecified for a in resolved)
    return Binding(host, loopback=loopback, every_interface=every, url_host="127.0.0.1" if every else host)


def warning(binding: Binding, port: int, join_code: bool = False) -> str | None:
    """The warning to print for a bind that other devices can reach, or None for loopback.

    Args:
        binding: from :func:`classify`.
        port: the TCP port the dashboard listens on.
        join_code: whether a join code is set (else the warning suggests one).
    """
    if binding.loopback:
        return None
    if binding.every_interface:
        where = (f"on every network interface: devices on this network can open it at "
                 f"http://<this computer's address>:{port}/")
    else:
        where = f"on {binding.host}, which other devices can reach: they can open http://{binding.url_host}:{port}/"
    who = ("Anyone who can reach it and has the join code can drive the simulation"
           if join_code else "Anyone who can reach it can drive the simulation and use its sessions")
    advice = "" if join_code else ", and set --join-code so only people in the room can join"
    return (f"salesim: warning: the dashboard is listening {where}. {who}. Do this on a trusted network "
            f"only{advice} (see docs/security.md).")
