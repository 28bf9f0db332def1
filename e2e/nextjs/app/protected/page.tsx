import { auth, currentUser } from '@clerk/nextjs/server'

export const dynamic = 'force-dynamic'

// A server component: auth() reads the middleware's verdict, and
// currentUser() fetches the user through the Backend API.
export default async function Protected() {
  const { userId } = await auth()
  const user = await currentUser()
  return (
    <main>
      <h1>Protected</h1>
      <p>
        User id: <span id="user-id">{userId}</span>
      </p>
      <p>
        Email: <span id="user-email">{user?.primaryEmailAddress?.emailAddress}</span>
      </p>
    </main>
  )
}
