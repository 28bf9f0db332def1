import type { Metadata } from 'next'
import { ClerkProvider, Show, SignInButton, UserButton } from '@clerk/nextjs'

// Keys come from the environment of `next start`, not of `next build`.
export const dynamic = 'force-dynamic'

export const metadata: Metadata = { title: 'Next.js on Concierge' }

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <ClerkProvider>
          <header>
            <Show when="signed-out">
              <SignInButton />
            </Show>
            <Show when="signed-in">
              <UserButton />
            </Show>
          </header>
          {children}
        </ClerkProvider>
      </body>
    </html>
  )
}
