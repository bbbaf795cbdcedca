import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { currentSession, forgetSession, signOut, whenSignedOut } from './api.js';
import { Loading } from './components.jsx';
import { SignIn } from './pages/sign_in.jsx';
import { Shell } from './pages/shell.jsx';

function App() {
  // undefined while the session is being recovered, null when signed out.
  const [session, setSession] = useState(undefined);
  const [notice, setNotice] = useState('');

  useEffect(() => {
    whenSignedOut(() => {
      setNotice('Your session has ended. Sign in again.');
      setSession(null);
    });
    currentSession().then(setSession, () => setSession(null));
  }, []);

  if (session === undefined) return <Loading />;
  if (session === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(signedIn) => {
          setNotice('');
          setSession(signedIn);
        }}
      />
    );
  }
  const logout = async () => {
    try {
      await signOut();
    } catch (error) {
      if (error.status !== 401) throw error; // 401: the session had already ended
    }
    setNotice('You are signed out.');
    setSession(null);
  };
  // This browser's session was ended from the sessions screen: the server cleared the cookie.
  const ended = () => {
    forgetSession();
    setNotice('You are signed out.');
    setSession(null);
  };
  return <Shell user={session.user} onSignOut={logout} onSessionEnded={ended} />;
}

render(<App />, document.getElementById('app'));
