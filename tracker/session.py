"""The requests Session that the fetches of a run share (decision record 17): its cookie jar
(http.cookiejar's, whose lock lets fetch threads share it), its pools of kept-alive
connections, the proxies and certificate authorities the environment names. Imported only by
what fetches: requests takes about 70 ms to import.
"""

import os
import ssl

import requests
from requests.adapters import HTTPAdapter


def new_session(headers: dict) -> requests.Session:
    """A Session for one run: its headers, cookie jar, certificate authorities and adapter.
    Requests go through its adapter (tracker.fetch), so requests reads nothing from the
    environment (`trust_env`): proxies_for() reads the proxy variables, and ~/.netrc is not read
    (no credentials are sent that a URL does not hold)."""
    session = requests.Session()
    session.headers = headers
    session.verify = trusted_certificates()
    # a pool for each of 64 hosts (requests keeps 10): the documents of a site are often far apart in a run
    adapter = VerifiedProxyAdapter(pool_connections=64)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def trusted_certificates() -> str | bool:
    """The certificate authorities the environment names (a corporate CA, say), else certifi's
    (True): REQUESTS_CA_BUNDLE as requests reads it, SSL_CERT_FILE and SSL_CERT_DIR as OpenSSL does."""
    return (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")
            or os.environ.get("SSL_CERT_DIR") or True)


def proxies_for(url: str) -> dict:
    """The proxies that http_proxy, https_proxy and no_proxy give for url, as requests reads them."""
    return requests.utils.get_environ_proxies(url)


class VerifiedProxyAdapter(HTTPAdapter):
    """An adapter that checks the certificate of an https:// proxy. requests turns certificate
    checks off for a plain-http URL, and so for the TLS to the https proxy that carries it
    (psf/requests#6103): the proxy gets a context of its own, trusting what the run trusts."""

    def proxy_manager_for(self, proxy: str, **kwargs):
        if proxy not in self.proxy_manager and proxy.lower().startswith("https://"):
            kwargs["proxy_ssl_context"] = _context(trusted_certificates())
        return super().proxy_manager_for(proxy, **kwargs)


def ssl_context() -> ssl.SSLContext:
    """The authorities the run trusts, for what speaks TLS without requests (SMTP)."""
    return _context(trusted_certificates())


def _context(trusted: str | bool) -> ssl.SSLContext:
    if trusted is True:
        return ssl.create_default_context(cafile=requests.certs.where())
    if os.path.isdir(trusted):
        return ssl.create_default_context(capath=trusted)
    return ssl.create_default_context(cafile=trusted)
