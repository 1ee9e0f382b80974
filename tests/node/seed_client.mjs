// Behaves as the seed's Node.js client (cliente/index.js of the original
// practice): loads service.proto with proto-loader's default options, builds
// the Saludo client with insecure credentials and calls saludar once with
// nombre "Nombre de testeo", printing "Respuesta:  <mensaje>" or
// "Error:  <error>". Differences: the target and proto path come from the
// command line (the seed hard-codes localhost:3005 and ../service.proto), and
// the exit code is 1 on error so tests can tell.
//
//   node seed_client.mjs PROTO_PATH TARGET
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const [protoPath, target] = process.argv.slice(2);
if (!protoPath || !target) {
  console.error('usage: node seed_client.mjs PROTO_PATH HOST:PORT');
  process.exit(2);
}
const definition = protoLoader.loadSync(protoPath);
const Saludo = grpc.loadPackageDefinition(definition).Saludo;
const stub = new Saludo(target, grpc.credentials.createInsecure());
stub.saludar({ nombre: 'Nombre de testeo' }, (err, res) => {
  if (!err) {
    console.log('Respuesta: ', res.mensaje);
  } else {
    console.log('Error: ', err.code, err.details);
  }
  stub.close();
  process.exitCode = err ? 1 : 0;
});
