import { spawn } from 'node:child_process';

/**
 * A stand-in for the Firehose and CloudWatch Logs endpoints on a loopback port, in a child process so its work
 * does not count in the benchmark's CPU time. It accepts every PutRecordBatch record and every PutLogEvents call
 * at once, so what is measured is the consumers' own cost: packing, SDK serialization and signing, the HTTP round
 * trip on loopback and the response parsing. The child exits when its stdin closes, so it never outlives us.
 */

const STUB_SOURCE = `
const http = require('node:http');
const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
  res.end(JSON.stringify(body));
};
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const target = String(req.headers['x-amz-target'] || '');
    if (target.endsWith('.PutRecordBatch')) {
      const count = JSON.parse(Buffer.concat(chunks).toString('utf8')).Records.length;
      const responses = Array.from({ length: count }, (_, i) => ({ RecordId: 'record-' + i }));
      return json(res, 200, { FailedPutCount: 0, Encrypted: false, RequestResponses: responses });
    }
    if (target.endsWith('.PutLogEvents') || target.endsWith('.CreateLogStream')) return json(res, 200, {});
    json(res, 400, { __type: 'UnknownOperationException', message: 'not stubbed: ' + target });
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

export interface AwsStub {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export function startAwsStub(timeoutMs = 10_000): Promise<AwsStub> {
  const child = spawn(process.execPath, ['-e', STUB_SOURCE], { stdio: ['pipe', 'pipe', 'inherit'] });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin?.end();
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error('the AWS stub did not start in time'));
    }, timeoutMs);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const port = Number.parseInt(output, 10);
      if (output.includes('\n') && Number.isInteger(port)) {
        clearTimeout(timer);
        resolve({ endpoint: `http://127.0.0.1:${port}`, stop });
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the AWS stub exited early (${code})`));
    });
  });
}
