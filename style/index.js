import './base.css';
import './audit.css';
import './metrics.css';
