"""The gRPC ask/tell server (``bbo serve``): service, conversion, errors, auth, batching.

Importing it imports grpc; ``import bbo`` does not.
"""
