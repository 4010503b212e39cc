// Preloaded into dynalite (node --require): a client that goes away in the
// middle of a request (a cancelled context, a killed process) makes
// dynalite's request stream emit 'aborted'/ECONNRESET, which dynalite
// rethrows and which would end the whole server. A real DynamoDB endpoint
// just drops that request; so does this. Any other uncaught error still
// ends the process, as before.
'use strict'
process.on('uncaughtException', function (err) {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    return
  }
  console.error(err)
  process.exit(1)
})
