import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha, https://github.com/grpc/grpc/blob/master/doc/server-reflection.md)
 * over `definition`, so grpcurl, Postman and other generic clients discover the services and their messages without
 * tachyon's .proto files. Served by `@grpc/reflection`; open to all callers like the .proto files themselves.
 */
export function addReflection(server: Pick<Server, 'addService'>, definition: PackageDefinition): void {
  // @grpc/reflection is typed against its own proto-loader copy; the definition's shape is the same.
  new ReflectionService(definition as ConstructorParameters<typeof ReflectionService>[0]).addToServer(server);
}
