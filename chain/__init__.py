"""The chain layer of HyperBounty (web3 connection, accounts, the BountyBoard client).

Public API (what the dashboard and the actions layer import; everything else is internal):

    from chain import connect, ChainConnection, DevChain, ChainError
    conn = connect()                  # settings.chain: "embedded" | "anvil" | http(s) RPC URL
    conn.w3, conn.kind, conn.chain_id, conn.accounts(), conn.close()
    conn.advance_time(s), conn.set_next_timestamp(ts), conn.mine(n)   # DevChain only

The rest of the API is documented below as it lands.
"""

from chain.errors import ChainError
from chain.providers import ChainConnection, DevChain, connect

__all__ = ["ChainConnection", "ChainError", "DevChain", "connect"]
