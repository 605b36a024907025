"""Mail below both services and digests: message building (`messages`) and sending (`smtp`).

Subscriptions (services) send confirmation mail and digests send digests; both use this
package, so neither imports the other.
"""
