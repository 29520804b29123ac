// The registry the devices pull from, and what goes into it.
export { startRegistry, HOST_FROM_DEVICE, type StartedRegistry } from './registry.ts';
export {
  RegistryClient,
  RegistryError,
  parseReference,
  type ImageToPush,
  type Layer,
  type PushedImage,
} from './client.ts';
export { MEDIA_TYPES, sha256Digest, type ImageManifest, type ImageConfig, type Descriptor } from './manifest.ts';
export { parseAccessLogLine, sumBytesServed, type AccessLogEntry, type BytesServed } from './access-log.ts';
export { ensureRegistryImage } from './registry-image.ts';
export { publishResinhup, pushApp, hostOsReference } from './publish.ts';
export { APP_REFERENCE, supervisorReference } from '../../images/containers/container-images.ts';
export { stopRegistry, startRegistryAgain, shapeRegistry, unshapeRegistry } from './registry-faults.ts';
