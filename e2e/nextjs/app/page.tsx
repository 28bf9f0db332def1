import Link from 'next/link'
import { Show } from '@clerk/nextjs'

export const dynamic = 'force-dynamic'

export default function Home() {
  return (
    <main>
      <h1>Home</h1>
      <Show when="signed-in">
        <p id="state">signed-in</p>
      </Show>
      <Show when="signed-out">
        <p id="state">signed-out</p>
      </Show>
      <Link href="/protected">Protected page</Link>
    </main>
  )
}
