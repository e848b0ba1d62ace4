"""The standard gRPC services beside ``bbo.v1.Optimizer``: health and server reflection.

* Health (``grpc.health.v1.Health``): open without a token. Its ``Watch`` streams end as
  soon as the server begins to stop (after sending NOT_SERVING), so an open watch does not
  hold a graceful shutdown for its whole grace period.
* Reflection, as both ``grpc.reflection.v1`` (what grpcurl and Postman ask for first) and
  ``grpc.reflection.v1alpha``. grpcio-reflection ships only v1alpha; v1 is the same
  protocol with the same messages under another package name, so the v1alpha servicer
  answers both, and the v1 file descriptor (v1alpha's, renamed) is added to the pool so
  that reflection can describe itself.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection, reflection_pb2

REFLECTION_V1 = "grpc.reflection.v1.ServerReflection"
REFLECTION_V1ALPHA = reflection.SERVICE_NAME
HEALTH = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name


class Health(health.aio.HealthServicer):
    """The asyncio health servicer whose Watch streams end (after sending NOT_SERVING)
    when a graceful shutdown begins, instead of lasting until the grace period is over."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Condition()
        self._stopping = False

    async def Watch(self, request: health_pb2.HealthCheckRequest, context: Any) -> None:
        last = None
        async with self._changed:
            while True:
                status = self._server_status.get(
                    request.service, health_pb2.HealthCheckResponse.SERVICE_UNKNOWN
                )
                if status != last:
                    await context.write(health_pb2.HealthCheckResponse(status=status))
                    last = status
                if self._stopping:
                    return
                await self._changed.wait()

    async def _set(self, service: str, status: Any) -> None:
        await super()._set(service, status)
        async with self._changed:
            self._changed.notify_all()

    async def enter_graceful_shutdown(self) -> None:
        await super().enter_graceful_shutdown()  # every service NOT_SERVING
        async with self._changed:
            self._stopping = True
            self._changed.notify_all()


def add_health(server: grpc.aio.Server) -> Health:
    servicer = Health()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    return servicer


def _add_v1_descriptor(pool: Any) -> None:
    """``grpc/reflection/v1/reflection.proto``: v1alpha's file under the v1 package."""
    try:
        pool.FindServiceByName(REFLECTION_V1)
        return
    except KeyError:
        pass
    old, new = ".grpc.reflection.v1alpha.", ".grpc.reflection.v1."
    v1 = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(v1)
    v1.name = "grpc/reflection/v1/reflection.proto"
    v1.package = "grpc.reflection.v1"
    v1.options.Clear()
    for message in v1.message_type:
        for f in message.field:
            if f.HasField("type_name"):
                f.type_name = f.type_name.replace(old, new)
    for service in v1.service:
        for m in service.method:
            m.input_type = m.input_type.replace(old, new)
            m.output_type = m.output_type.replace(old, new)
    pool.AddSerializedFile(v1.SerializeToString())


def add_reflection(server: grpc.aio.Server, services: list[str]) -> None:
    """Serve reflection (v1 and v1alpha) listing ``services`` and the standard ones."""
    pool = descriptor_pool.Default()
    _add_v1_descriptor(pool)
    names = [*services, HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA]
    servicer = reflection.aio.ReflectionServicer(names, pool=pool)
    method = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": method})
            for name in (REFLECTION_V1, REFLECTION_V1ALPHA)
        ]
    )
