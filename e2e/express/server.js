// Clerk's Express quick-start, pointed at Concierge through Clerk's own
// environment variables only: CLERK_PUBLISHABLE_KEY, CLERK_SECRET_KEY,
// CLERK_API_URL, CLERK_PROXY_URL (the Frontend API, for the handshake)
// and CLERK_SIGN_IN_URL (Concierge's hosted /sign-in).
import express from 'express'
import { clerkClient, clerkMiddleware, getAuth, requireAuth } from '@clerk/express'

const app = express()
app.use(clerkMiddleware())

const escape = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

const page = (title, body) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body>${body}</body></html>`

// A server-rendered page: the middleware has already authenticated the
// request (by cookie, through the handshake when needed).
app.get('/', (req, res) => {
  const { userId } = getAuth(req)
  res.type('html').send(
    page('Home', userId
      ? `<p id="state">signed-in</p><p>User id: <span id="user-id">${escape(userId)}</span></p>`
      : `<p id="state">signed-out</p>`),
  )
})

const port = Number(process.env.PORT || 3000)
const host = process.env.HOST || '127.0.0.1'

// The quick-start's protected route: signed-out users are sent to
// CLERK_SIGN_IN_URL. requireAuth() redirects to its signInUrl as given,
// so the URL names the page for the sign-in page to send them back to.
const signInUrl = `${process.env.CLERK_SIGN_IN_URL}?redirect_url=${encodeURIComponent(`http://${host}:${port}/protected`)}`
app.get('/protected', requireAuth({ signInUrl }), async (req, res) => {
  const { userId } = getAuth(req)
  const user = await clerkClient.users.getUser(userId)
  res.type('html').send(
    page('Protected',
      `<p>User id: <span id="user-id">${escape(userId)}</span></p>` +
      `<p>Email: <span id="user-email">${escape(user.primaryEmailAddress?.emailAddress)}</span></p>`),
  )
})

// The recommended pattern for APIs: getAuth() and a 401.
app.get('/api/protected', (req, res) => {
  const { userId, sessionId } = getAuth(req)
  if (!userId) {
    return res.status(401).json({ error: 'Unauthorized' })
  }
  res.json({ userId, sessionId })
})

app.get('/api/me', (req, res) => {
  res.json(getAuth(req))
})

app.listen(port, host, () => {
  console.log(`listening on http://${host}:${port}`)
})
